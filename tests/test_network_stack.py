"""Network and instances stack: properties asserted on the rendered template."""

from template_helpers import one_resource, resources_of_type

from templates import names


def test_vpc_cidr_is_a_parameter_with_the_seed_default_and_dns_on(network):
    vpc = one_resource(network, "AWS::EC2::VPC")["Properties"]
    assert vpc["CidrBlock"] == {"Ref": "VpcCidr"}
    assert network["Parameters"]["VpcCidr"]["Default"] == "10.0.0.0/24"
    assert vpc["EnableDnsSupport"] is True
    assert vpc["EnableDnsHostnames"] is True


def test_two_public_subnets_in_the_chosen_zones_or_the_first_two_of_getazs(network, parent):
    subnets = resources_of_type(network, "AWS::EC2::Subnet")
    assert len(subnets) == 2
    azs = [subnet["Properties"]["AvailabilityZone"] for subnet in subnets.values()]
    assert azs == [
        {
            "Fn::If": [
                "AvailabilityZonesDefaulted",
                {"Fn::Select": [index, {"Fn::GetAZs": ""}]},
                {"Fn::Select": [index, {"Ref": "DemoAvailabilityZones"}]},
            ]
        }
        for index in (0, 1)
    ]
    # Defaulted means the parameter is left empty (its default).
    assert network["Parameters"]["DemoAvailabilityZones"]["Default"] == ""
    assert network["Conditions"]["AvailabilityZonesDefaulted"] == {
        "Fn::Equals": [{"Fn::Join": ["", {"Ref": "DemoAvailabilityZones"}]}, ""]
    }
    passed = parent["Resources"]["Network"]["Properties"]["Parameters"]
    assert passed["DemoAvailabilityZones"] == {"Fn::Join": [",", {"Ref": "DemoAvailabilityZones"}]}
    for subnet in subnets.values():
        assert subnet["Properties"]["MapPublicIpOnLaunch"] is True
        assert subnet["Properties"]["CidrBlock"]["Fn::Select"][1]["Fn::Cidr"][1:] == [2, 5]


def test_default_route_goes_to_the_internet_gateway_after_attachment(network):
    route = one_resource(network, "AWS::EC2::Route")
    assert route["Properties"]["DestinationCidrBlock"] == "0.0.0.0/0"
    assert route["Properties"]["GatewayId"] == {"Ref": "InternetGateway"}
    assert route["DependsOn"] == "GatewayAttachment"
    associations = resources_of_type(network, "AWS::EC2::SubnetRouteTableAssociation")
    assert len(associations) == 2


def test_security_group_has_no_ingress(network):
    group = one_resource(network, "AWS::EC2::SecurityGroup")["Properties"]
    assert "SecurityGroupIngress" not in group
    assert not resources_of_type(network, "AWS::EC2::SecurityGroupIngress")
    assert [rule["FromPort"] for rule in group["SecurityGroupEgress"]] == [443]


def test_instance_role_has_ssm_core_policy_in_the_stack_partition(network):
    role = one_resource(network, "AWS::IAM::Role")["Properties"]
    assert role["ManagedPolicyArns"] == [
        {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"}
    ]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    # ec2.amazonaws.com, or ec2.amazonaws.com.cn in China: the partition's own suffix.
    assert trust["Principal"] == {"Service": {"Fn::Sub": "ec2.${AWS::URLSuffix}"}}
    profile = one_resource(network, "AWS::IAM::InstanceProfile")["Properties"]
    assert profile["Roles"] == [{"Ref": "InstanceRole"}]


def test_launch_template_requires_imdsv2_and_encrypts_the_root_volume(network):
    data = one_resource(network, "AWS::EC2::LaunchTemplate")["Properties"]["LaunchTemplateData"]
    assert data["MetadataOptions"]["HttpTokens"] == "required"
    assert data["MetadataOptions"]["HttpPutResponseHopLimit"] == 1
    assert data["BlockDeviceMappings"][0]["Ebs"]["Encrypted"] is True
    assert data["InstanceType"] == {"Ref": "InstanceType"}
    assert data["ImageId"] == {"Ref": "ImageId"}


def test_two_instances_from_the_launch_template_defaulting_to_t3_micro_and_al2023(network):
    instances = resources_of_type(network, "AWS::EC2::Instance")
    assert len(instances) == 2
    subnets = {instance["Properties"]["SubnetId"]["Ref"] for instance in instances.values()}
    assert subnets == {"PublicSubnet1", "PublicSubnet2"}
    for instance in instances.values():
        assert instance["Properties"]["LaunchTemplate"]["LaunchTemplateId"] == {
            "Ref": "LaunchTemplate"
        }
        tags = {tag["Key"]: tag["Value"] for tag in instance["Properties"]["Tags"]}
        assert tags[names.FLEET_TAG_KEY] == {"Ref": names.FLEET_TAG_VALUE}
    parameters = network["Parameters"]
    assert parameters["InstanceType"]["Default"] == "t3.micro"
    assert parameters["ImageId"]["Type"] == "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>"
    assert parameters["ImageId"]["Default"] == (
        "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
    )


def test_outputs_name_the_role_and_the_instances(network):
    outputs = network["Outputs"]
    assert outputs[names.INSTANCE_ROLE_NAME]["Value"] == {"Ref": "InstanceRole"}
    assert outputs[names.INSTANCE_IDS]["Value"] == {
        "Fn::Join": [",", [{"Ref": "Instance1"}, {"Ref": "Instance2"}]]
    }

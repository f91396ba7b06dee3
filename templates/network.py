"""Network and instances: the demo fleet the agent-update association runs on.

A VPC with two public subnets in two Availability Zones (the instances reach the Systems Manager
endpoints through the internet gateway, so no NAT or VPC endpoints are needed), a security group
with no ingress, the instance role with AmazonSSMManagedInstanceCore, and the instances, launched
from a template that requires IMDSv2.
"""

from __future__ import annotations

from troposphere import (
    Cidr,
    Equals,
    GetAtt,
    GetAZs,
    If,
    Join,
    Output,
    Parameter,
    Ref,
    Select,
    Sub,
    Tag,
    Tags,
    Template,
    ec2,
    iam,
)

from templates import names, parameters
from templates.common import aws_managed_policy_arn, new_template, service_trust_policy
from templates.config import Config

SUBNET_COUNT = 2  # two Availability Zones, like the seed
SUBNET_HOST_BITS = 5  # /27 subnets
ZONES_DEFAULTED = "AvailabilityZonesDefaulted"


def build(config: Config) -> Template:
    template = new_template("SSM association notifier: VPC, public subnets and demo instances")

    vpc_cidr = template.add_parameter(parameters.vpc_cidr(config))
    instance_type = template.add_parameter(parameters.instance_type(config))
    zones = template.add_parameter(parameters.demo_availability_zones())
    template.add_condition(ZONES_DEFAULTED, Equals(Join("", Ref(zones)), ""))
    image_id = template.add_parameter(
        Parameter(
            "ImageId",
            Type="AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>",
            Default=config.default_ami_parameter,
            Description="SSM parameter holding the AMI id (default: latest Amazon Linux 2023)",
        )
    )
    fleet_tag_value = template.add_parameter(
        Parameter(
            names.FLEET_TAG_VALUE,
            Type="String",
            Description=f"Value of the {names.FLEET_TAG_KEY} tag on the instances",
            MinLength=1,
            MaxLength=256,
        )
    )

    vpc = template.add_resource(
        ec2.VPC(
            "Vpc",
            CidrBlock=Ref(vpc_cidr),
            EnableDnsSupport=True,
            EnableDnsHostnames=True,
            Tags=Tags(Name=Sub("${AWS::StackName}-vpc")),
        )
    )
    internet_gateway = template.add_resource(ec2.InternetGateway("InternetGateway"))
    gateway_attachment = template.add_resource(
        ec2.VPCGatewayAttachment(
            "GatewayAttachment", VpcId=Ref(vpc), InternetGatewayId=Ref(internet_gateway)
        )
    )
    route_table = template.add_resource(ec2.RouteTable("PublicRouteTable", VpcId=Ref(vpc)))
    template.add_resource(
        ec2.Route(
            "DefaultRoute",
            # A route to an internet gateway needs the attachment first; no reference orders it.
            DependsOn=gateway_attachment,
            RouteTableId=Ref(route_table),
            DestinationCidrBlock="0.0.0.0/0",
            GatewayId=Ref(internet_gateway),
        )
    )

    # The subnets are the VPC's first two /27 blocks, as in the seed (any VPC of /26 or larger).
    subnet_cidrs = Cidr(GetAtt(vpc, "CidrBlock"), SUBNET_COUNT, SUBNET_HOST_BITS)
    subnets = []
    for index in range(SUBNET_COUNT):
        subnet = template.add_resource(
            ec2.Subnet(
                f"PublicSubnet{index + 1}",
                VpcId=Ref(vpc),
                # The chosen zones, or the Region's first two: zone letters are assigned per
                # account, and an instance type may not be offered in every zone.
                AvailabilityZone=If(
                    ZONES_DEFAULTED, Select(index, GetAZs("")), Select(index, Ref(zones))
                ),
                CidrBlock=Select(index, subnet_cidrs),
                # Public addresses let the agent reach Systems Manager without NAT or endpoints.
                MapPublicIpOnLaunch=True,
                Tags=Tags(Name=Sub(f"${{AWS::StackName}}-public-{index + 1}")),
            )
        )
        template.add_resource(
            ec2.SubnetRouteTableAssociation(
                f"PublicSubnet{index + 1}RouteTable",
                SubnetId=Ref(subnet),
                RouteTableId=Ref(route_table),
            )
        )
        subnets.append(subnet)

    security_group = template.add_resource(
        ec2.SecurityGroup(
            "InstanceSecurityGroup",
            GroupDescription="SSM-managed instances: no inbound, HTTPS out to AWS endpoints",
            VpcId=Ref(vpc),
            SecurityGroupEgress=[
                ec2.SecurityGroupRule(
                    IpProtocol="tcp",
                    FromPort=443,
                    ToPort=443,
                    CidrIp="0.0.0.0/0",
                    Description="HTTPS to Systems Manager, S3 and the agent update bucket",
                )
            ],
        )
    )

    role = template.add_resource(
        iam.Role(
            "InstanceRole",
            Description="Demo instances: managed by Systems Manager",
            # EC2's principal is ec2.amazonaws.com.cn in the China partition (the IAM console
            # there writes it, and EKS requires it); URLSuffix gives each partition its own.
            AssumeRolePolicyDocument=service_trust_policy(Sub("ec2.${AWS::URLSuffix}")),
            ManagedPolicyArns=[aws_managed_policy_arn("AmazonSSMManagedInstanceCore")],
        )
    )
    profile = template.add_resource(iam.InstanceProfile("InstanceProfile", Roles=[Ref(role)]))

    launch_template = template.add_resource(
        ec2.LaunchTemplate(
            "LaunchTemplate",
            LaunchTemplateData=ec2.LaunchTemplateData(
                ImageId=Ref(image_id),
                InstanceType=Ref(instance_type),
                IamInstanceProfile=ec2.IamInstanceProfile(Arn=GetAtt(profile, "Arn")),
                SecurityGroupIds=[Ref(security_group)],
                MetadataOptions=ec2.MetadataOptions(
                    HttpEndpoint="enabled",
                    HttpTokens="required",  # IMDSv2 only
                    HttpPutResponseHopLimit=1,
                ),
                BlockDeviceMappings=[
                    ec2.LaunchTemplateBlockDeviceMapping(
                        DeviceName="/dev/xvda",
                        Ebs=ec2.EBSBlockDevice(
                            VolumeType="gp3",
                            VolumeSize=8,
                            Encrypted=True,
                            DeleteOnTermination=True,
                        ),
                    )
                ],
                Monitoring=ec2.Monitoring(Enabled=True),
            ),
        )
    )

    instances = []
    for index in range(config.instance_count):
        instance = template.add_resource(
            ec2.Instance(
                f"Instance{index + 1}",
                LaunchTemplate=ec2.LaunchTemplateSpecification(
                    LaunchTemplateId=Ref(launch_template),
                    Version=GetAtt(launch_template, "LatestVersionNumber"),
                ),
                SubnetId=Ref(subnets[index % SUBNET_COUNT]),
                Tags=Tags(
                    Tag("Name", Sub(f"${{AWS::StackName}}-{index + 1}")),
                    Tag(names.FLEET_TAG_KEY, Ref(fleet_tag_value)),
                ),
            )
        )
        instances.append(instance)

    template.add_output(
        [
            Output(names.VPC_ID, Value=Ref(vpc)),
            Output(
                names.INSTANCE_ROLE_NAME, Value=Ref(role), Description="Role of the demo instances"
            ),
            Output(
                names.INSTANCE_IDS,
                Value=Join(",", [Ref(instance) for instance in instances]),
                Description="Comma-separated ids of the demo instances",
            ),
        ]
    )
    return template
